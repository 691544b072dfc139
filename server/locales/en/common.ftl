# The frame of every page: brand, navigation, header, footer, language choice.
lang-name = English
lang-other = Chinese (Simplified)
lang-choose = Interface language
lang-apply = Switch
brand = Duban
menu = Menu
nav-main = Main
nav-overview = Overview
nav-items = Items
nav-workbench = Workbench
nav-register = Register
nav-unit = My unit
nav-leader = My units
nav-me = Mine
nav-stats = Statistics
nav-monitor = Monitoring
nav-scores = Scores
nav-bulletins = Bulletins
nav-ledger = Ledger
nav-board = Public board
nav-admin = Administration
inbox = Inbox
inbox-unread = unread
sign-out = Sign out
sign-in = Sign in
# The footer's button that switches the interface to the other language, named in this one.
lang-switch = Switch to the Chinese interface
