def fail(msg):
    print(msg)
    exit(2)
