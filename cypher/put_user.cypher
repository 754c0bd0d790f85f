// put_user: creates or replaces one user by user id (the username is unique by constraint).
// params: $user_id, $user (map: user_id, username, printed_name, roles, password_hash, created_at, disabled_at, failed_logins, locked_at)
// returns: user_id
MERGE (u:User {user_id: $user_id})
SET u = $user
RETURN u.user_id AS user_id
