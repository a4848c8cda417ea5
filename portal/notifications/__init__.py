"""In-app notifications: the bell, the list, marking read."""
