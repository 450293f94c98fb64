import sys

from odnb.cli import main

sys.exit(main())
