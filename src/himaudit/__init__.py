"""himaudit: audits health-information-management data and generates flawed synthetic hospitals."""

__version__ = "0.1.0"
