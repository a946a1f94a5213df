assert parent == None, "root has no parent"
