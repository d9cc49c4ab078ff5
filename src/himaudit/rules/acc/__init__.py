"""ACC statistical rules: patterns learned from each user's own history and from role peers
(quantiles and circular statistics, which RULE-SQL.md keeps out of portable SQL)."""
