// get_user_by_id: one user by user id.
// params: $user_id
// returns: user
MATCH (u:User {user_id: $user_id})
RETURN properties(u) AS user
