x = [dict(), dict(), 3]
