"""Files: atomic writes and journalled moves, safe names, folder locks, sealed caches, the one zip writer."""
