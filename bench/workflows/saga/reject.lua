-- Not retryable: the saga compensates at once.
return function(ctx, input)
  weft.fail("rejected", "the bench rejects every order at step three")
end
