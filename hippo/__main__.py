import sys

from hippo.cli import main

sys.exit(main())
