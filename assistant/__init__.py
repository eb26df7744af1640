"""Question answering over Chinese government budget performance-target tables (项目支出绩效目标表).

``from assistant.core import Assistant`` — ``Assistant().ask("Which projects target 365 service days?")``.
"""
__version__ = "0.1.0"
