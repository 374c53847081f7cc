"""The `python -m kaltura_avatar_emulator` entry point: runs `cli.main` and exits with its status."""
import sys

from .cli import main

sys.exit(main())
