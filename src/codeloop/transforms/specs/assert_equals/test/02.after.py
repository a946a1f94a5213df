case.assertNotEqual(first, second, msg="differ")
