if error:
    exit(1)
