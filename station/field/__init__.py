"""Field set-up: scanner profiles and sheets, the scanner check, printer set-up and ``station doctor``."""
