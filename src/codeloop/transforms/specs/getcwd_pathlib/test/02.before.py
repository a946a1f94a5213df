import os


def log(msg):
    print(os.getcwd(), msg)
