self.assertEqual(total, 10)
