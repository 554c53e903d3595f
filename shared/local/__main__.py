import sys

from shared.local.cli import main

sys.exit(main())
