import argparse

args = parse()
if args.help:
    exit(0)
