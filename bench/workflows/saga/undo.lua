return function(ctx, input)
  return { undone = ctx.step }
end
