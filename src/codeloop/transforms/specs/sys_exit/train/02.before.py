import os


def main():
    run()
    exit(0)
