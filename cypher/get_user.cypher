// get_user: one user by username.
// params: $username
// returns: user
MATCH (u:User {username: $username})
RETURN properties(u) AS user
