def fetch_data(source, retries=3):
    # keep this comment
    return source.read()
