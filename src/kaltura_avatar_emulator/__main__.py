"""`python -m kaltura_avatar_emulator`."""
import sys

from .cli import main

sys.exit(main())
