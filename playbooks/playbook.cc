namespace medic {}
