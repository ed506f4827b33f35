import sys

from pctui.cli import main

sys.exit(main())
