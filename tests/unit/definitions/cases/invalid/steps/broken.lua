return function(ctx, input)
  local x = = 1
end
