"""Alternative credit scoring (issue #8): features from data linked for credit assessment, a
scorecard with reason codes and a gradient-boosted challenger, versioned with model cards."""
