"""``python -m authgate``."""

from authgate.cli import main

main()
