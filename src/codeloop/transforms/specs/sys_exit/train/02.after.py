import os
import sys


def main():
    run()
    sys.exit(0)
