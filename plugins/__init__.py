"""Built-in PropDesk plugins. Each sub-package is one installable module."""
