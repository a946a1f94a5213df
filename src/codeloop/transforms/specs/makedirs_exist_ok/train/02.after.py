def prepare(root):
    os.makedirs(root, exist_ok=True)
    return root
