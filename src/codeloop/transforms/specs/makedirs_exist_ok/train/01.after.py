os.makedirs(out, exist_ok=True)
