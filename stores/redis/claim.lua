-- Take over an id claim left by a create that never finished: replace the
-- claim only if it still holds the value the caller judged abandoned.
-- KEYS[1]: the claim key. ARGV: the abandoned value, the new value. Reply: 1 or 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
