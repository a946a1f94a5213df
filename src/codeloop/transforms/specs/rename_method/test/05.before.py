print("getData is renamed")
