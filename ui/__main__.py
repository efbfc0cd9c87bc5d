"""`python -m ui`: serve the web chat (settings from REPORTQA_* variables)."""
import sys

from ui.app import main

sys.exit(main())
