case.assertNotEquals(first, second, msg="differ")
