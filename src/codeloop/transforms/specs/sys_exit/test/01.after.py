import argparse
import sys

args = parse()
if args.help:
    sys.exit(0)
