"""Cross-cutting pieces every module uses: errors, clock, HTMX rendering, i18n, permissions."""
