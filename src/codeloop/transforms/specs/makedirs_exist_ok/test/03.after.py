def ensure(logs):
    os.makedirs(logs, exist_ok=True)
