// list_users: every user, by username.
// params: none
// returns: user
MATCH (u:User)
WITH u
ORDER BY u.username
RETURN properties(u) AS user
