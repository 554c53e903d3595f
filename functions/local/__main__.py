import sys

from functions.local.cli import main

sys.exit(main())
