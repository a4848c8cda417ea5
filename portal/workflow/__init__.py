"""The workflow engine: status machines declared as data, transitions with history and events."""
