assert parent is None, "root has no parent"
