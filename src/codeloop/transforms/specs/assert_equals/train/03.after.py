self.assertEqual(x, 1)
self.assertTrue(y)
