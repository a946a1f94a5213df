self.assertEqual(len(xs), 2)
self.assertNotEqual(xs[0], xs[1])
