# The administration console's index.
admin-units = Units
admin-units-about = The unit tree: create, rename, move, retire; short names and aliases
admin-accounts = Accounts
admin-accounts-about = Create accounts; roles and units in charge; reset a password; unlock; deactivate
admin-import = Import units and people
admin-import-about = From the spreadsheet templates, checked row by row
admin-categories = Categories
admin-categories-about = Number prefixes and attributes, and which attributes are confidential
admin-policy = Policy
admin-policy-about = Every number of deadlines, reminders, urging and scoring
admin-calendar = Calendar
admin-calendar-about = See a year, edit a day, import holidays and adjusted working days
admin-delivery = Push and SMS
admin-delivery-about = The configured providers and their latest delivery outcomes (read-only)
admin-trail = Administrative trail
admin-trail-about = Every administrative change: who, when, before and after, verifiable
