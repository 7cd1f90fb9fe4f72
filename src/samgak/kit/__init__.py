"""The shared kernel: database, errors, crypto, time, money, pagination, HTTP.

``kit`` is the ground floor: it imports no samgak module, and every module may import it.
"""
