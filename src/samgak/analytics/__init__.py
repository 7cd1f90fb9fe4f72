"""Analytics: privacy-safe combination and release review (issue #7), and scoring (issue #8)."""
