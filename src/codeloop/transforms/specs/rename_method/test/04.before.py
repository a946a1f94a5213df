count = store.getDataCount()
