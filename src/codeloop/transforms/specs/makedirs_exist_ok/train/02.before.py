def prepare(root):
    if not os.path.exists(root):
        os.makedirs(root)
    return root
