fetch_database = connect()
